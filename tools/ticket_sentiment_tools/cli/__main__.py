"""`python -m ticket_sentiment_tools.cli`, as the `ticket-sentiment` script."""

from . import main

main()
