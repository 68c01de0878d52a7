#!/bin/bash
# Inside the lab VM (no --igb): the linux driver bench against netdevsim (bench/linux.ts);
# NICVISOR_BENCH_JSON names where its figures go (a folder the host shares with the VM).
export NICVISOR_LAB=netdevsim
exec node dist/bench/linux.js ${NICVISOR_BENCH_JSON:+--json "$NICVISOR_BENCH_JSON"}
