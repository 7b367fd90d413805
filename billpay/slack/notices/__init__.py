"""What the bot posts on its own, when nobody clicked: the daily digest, a scheduled payment's
result and the approval reminders. The scheduler decides when; these decide what is shown,
where and to whom, and send it through the publisher."""
