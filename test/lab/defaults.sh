# Sourced by the lab scripts: where the lab VM lives unless NICVISOR_LABVM says otherwise.
# Outside the checkout, so a fresh clone on the same machine reuses it (a rebuild takes
# ~1-2 min); build-vm.sh keeps it up to date with the scripts of the checkout that calls it.
LABVM_DIR=${NICVISOR_LABVM:-/var/cache/nicvisor/labvm}
