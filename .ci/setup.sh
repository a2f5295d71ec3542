#!/usr/bin/env bash
# Kept for CI and older docs: the installer is scripts/install.sh (install only, no start).
set -euo pipefail
exec bash "$(dirname "$0")/../scripts/install.sh" --no-start "$@"
