"""What a failed connection to a mail server means, in the words IMAP (`toolkit replies`) and SMTP
(`toolkit send`) share: the server's name not found, the connection refused or unanswered, TLS failing."""

from __future__ import annotations

import socket
import ssl


def login_refused(where: str, user: str, section: str, detail: str = "") -> str:
    """The server did not take the user name and password (``section``: imap or smtp in campaign.yaml)."""
    said = f" ({detail})" if detail else ""
    return (f"{where} godtok ikke innloggingen for {user}{said}. Sjekk brukernavnet ({section}.user) og passordet; "
            "hos mange leverandører trengs et eget app-passord.")


def connection_problem(exc: BaseException, where: str, section: str, usual_ports: str) -> str | None:
    """The message for a connection that failed before the protocol began; None for other failures.

    ``where`` names the server ("SMTP-serveren host:587 (starttls)"), ``section`` its block in
    campaign.yaml, ``usual_ports`` which port goes with which security ("587 med starttls, 465 med ssl").
    """
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"Sertifikatet til {where} kunne ikke bekreftes ({exc.verify_message or exc.reason}), så den sikre "
                f"forbindelsen kom ikke i stand. Sjekk at servernavnet ({section}.host) er det sertifikatet gjelder for.")
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return (f"Den sikre forbindelsen til {where} feilet ({getattr(exc, 'reason', None) or exc}). Sjekk at «security» "
                f"og porten passer sammen: {usual_ports}.")
    if isinstance(exc, socket.gaierror):
        return f"Fant ikke {where}. Sjekk servernavnet ({section}.host) og nettforbindelsen."
    if isinstance(exc, ConnectionRefusedError):
        return f"{where} svarer ikke på tilkoblingen (avvist). Sjekk servernavnet og porten ({section}.port)."
    if isinstance(exc, TimeoutError):
        return f"{where} svarte ikke i tide. Sjekk servernavn og port, og at nettverket (en brannmur) slipper gjennom."
    return None
