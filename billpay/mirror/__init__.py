"""The mirror: each linked company's bills, suppliers and mapping options, kept in the bot's
database and kept fresh, so displays read the database instead of the payables API.

`Mirror` (`billpay.mirror.service`) is the door: syncs (a fill when a channel links, then
incremental reads on a schedule or when a webhook says data changed), readers for the displays,
how fresh they are, and `live_bill`, the cheap live re-read money decisions make.
"""
