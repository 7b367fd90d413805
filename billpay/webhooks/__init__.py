"""Webhooks from the payables API (Codat's, through Svix): verified, recorded once, answered at
once and worked in the background (`service`); what each event means (`events`); what the rest
of the bot does about it (`reactions`); the record of deliveries (`inbox`)."""
