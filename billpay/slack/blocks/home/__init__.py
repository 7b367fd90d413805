"""The App Home tab (`view`), its bulk approval (`bulk`) and the values they carry (`values`)."""

from billpay.slack.blocks.home.view import home_view

__all__ = ["home_view"]
