#!/bin/sh
# Ansible vault password client for CI: prints the password held in $ANSIBLE_VAULT_PASSWORD (set by the
# workflow from a GitHub secret), so that it is never written to disk.
#   ANSIBLE_VAULT_PASSWORD_FILE=scripts/vault_password_from_env.sh ansible-playbook ...
if [ -z "${ANSIBLE_VAULT_PASSWORD:-}" ]; then
  echo "vault_password_from_env.sh: ANSIBLE_VAULT_PASSWORD is not set" >&2
  exit 1
fi
printf '%s\n' "$ANSIBLE_VAULT_PASSWORD"
