"""Where things are in the project, for code that runs from any working directory."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"
SCHEMA_SQL = PROJECT_ROOT / "db" / "schema.sql"
SEED_SQL = PROJECT_ROOT / "db" / "seed.sql"
SEED_CONVERSATION = PROJECT_ROOT / "db" / "seed_conversation.txt"
# `make dev` keeps its state here: PostgreSQL's data, the DynamoDB snapshot, stack.json.
LOCAL_STATE_DIR = PROJECT_ROOT / ".local"
