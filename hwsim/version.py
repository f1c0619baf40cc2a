"""The package version, in one place (outputs say what produced them)."""

VERSION = "0.1.0"
