"""Shared project tooling: what ops/, bench/, the tests and the local stack all need, none of it the emulator.

The template model, table definitions, PostgreSQL and Cognito administration, the seed conversation, the
consistency check, project paths and small clients. Production operator scripts (ops/, bin/) import this package
and never ``local``; so this package never imports ``local`` either (tests/unit/test_import_layering.py).
"""
