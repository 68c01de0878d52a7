#!/bin/bash
# Inside the lab VM (no --igb): the linux driver bench against netdevsim (bench/linux.ts).
export NICVISOR_LAB=netdevsim
exec node dist/bench/linux.js
