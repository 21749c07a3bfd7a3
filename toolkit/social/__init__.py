"""The social-post calendar: posts, counting by each platform's rules, the exports, the iCalendar
writer and the calendar page."""
