"""Running the bot: the command line, the process host, the web routes and the scheduler's ticks."""
