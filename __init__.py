"""datateam-kg: a knowledge graph of who does what in a data team."""

__version__ = "0.1.0"
