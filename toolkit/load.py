"""Loading a campaign folder into one complete ``Campaign``: the core files, the posts and the op-eds.

``load_campaign`` reads the core files at once (toolkit.core.campaign) and gives the campaign a loader
for each capability's own files: the post calendar (toolkit.social.posts) and the op-eds
(toolkit.opeds.pieces) are read the first time ``campaign.calendar`` or ``campaign.opeds`` is asked for,
so a command that never needs them (``toolkit purge``) does not pay for reading them or rendering every
op-ed. Problems found while reading go into the ``problems`` given here, whenever that happens.
Checks across files are validation's (toolkit.validate), not loading's.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.core.campaign import load_core_files
from toolkit.core.errors import Problems
from toolkit.core.model import Campaign
from toolkit.opeds.pieces import load_opeds
from toolkit.social.posts import load_posts


def load_campaign(folder: Path, problems: Problems) -> Campaign | None:
    """The whole campaign in ``folder``, recording every problem; None if campaign.yaml is unusable."""
    campaign = load_core_files(Path(folder), problems)
    if campaign is None:
        return None
    loaded: Campaign = campaign  # not None here, for the loaders below
    loaded.load_later("calendar", lambda: load_posts(loaded, problems))
    loaded.load_later("opeds", lambda: load_opeds(loaded, problems))
    return campaign
