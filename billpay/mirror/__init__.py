"""A linked company's payables data kept in the bot's database and kept fresh, and the health
of its connection.

`Mirror` (`billpay.mirror.service`) is the door to the data: syncs (a fill when a channel links,
then incremental reads on a schedule or when a webhook says data changed), readers for the
displays, how fresh they are, and `live_bill`, the cheap live re-read money decisions make.
Its parts are modules of their own: `syncing` and `claimed_sync` (the syncs), `readers`.
`ConnectionHealth` (`billpay.mirror.connection`) knows whether each connection is still Linked,
and what waits while it is not.
"""
