"""Ask questions of a folder of news articles and get back cited passages."""

__version__ = "0.1.0"
