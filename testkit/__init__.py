"""What the tests and the benchmarks share: the frozen world, the bot under test, fake Slack
sessions, payables clients and servers."""
