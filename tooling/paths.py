"""Where things are in the project, for code that runs from any working directory."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"
SCHEMA_SQL = PROJECT_ROOT / "db" / "schema.sql"
SEED_SQL = PROJECT_ROOT / "db" / "seed.sql"
MIGRATIONS_DIR = PROJECT_ROOT / "db" / "migrations"


def schema_files() -> list[Path]:
    """The schema, then every migration in order: all idempotent, so loading them again is always safe."""
    return [SCHEMA_SQL, *sorted(MIGRATIONS_DIR.glob("*.sql"))]


SEED_CONVERSATION = PROJECT_ROOT / "db" / "seed_conversation.txt"
# `make dev` keeps its state here: PostgreSQL's data, the DynamoDB snapshot, stack.json.
LOCAL_STATE_DIR = PROJECT_ROOT / ".local"
