#!/bin/bash
# Inside the lab VM: the switchdev bench (bench/switchdev.ts) on dummy representors with
# software TC; NICVISOR_BENCH_JSON names where its figures go (a folder shared with the host).
export NICVISOR_LAB=netdevsim
exec node dist/bench/switchdev.js ${NICVISOR_BENCH_JSON:+--json "$NICVISOR_BENCH_JSON"}
