"""The package version, in one place (outputs say what produced them)."""

VERSION = "0.2.0"
