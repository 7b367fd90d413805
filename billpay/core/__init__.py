"""The domain core: states and views, money, words (i18n), typed errors, mrkdwn escaping and
bounds. No I/O."""
