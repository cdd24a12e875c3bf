#!/usr/bin/env bash
# Run a command inside a private D-Bus session with a fresh, unlocked GNOME Keyring:
# a real Secret Service, as on a Linux desktop. Usage: dbus-run-session -- keyring_session.sh CMD...
set -eu
export HOME="$(mktemp -d)"
export XDG_DATA_HOME="$HOME/.local/share"
mkdir -p "$XDG_DATA_HOME/keyrings"
# Creates and unlocks the "login" keyring with a throw-away password.
eval "$(printf 'shopguard-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
exec "$@"
