/*
 * optimizer.h: the public header of podscale's GPU optimizer library (libpodscale_optimizer,
 * pkg-config podscale-optimizer). Include this one header; it brings in every module:
 *
 *   opt_err.h  how errors are reported
 *   profile.h  GPU profiles (AIBrix's JSON), benchmark files, aibrix_gen_profile's generation
 *   store.h    profiles in Redis (aibrix:profile_<model>_<deployment>)
 *   monitor.h  gateway trace records, the 240 s window, DBSCAN, clusters to profile buckets
 *   ilp.h      the ILP (GLPK) that sizes each deployment in 1/100 GPU
 *   decision.h decisions as JSON lines, and their replay
 *   model.h    one model's loop: deployments, profiles, monitor, ILP, reported values
 *
 * The library knows nothing of the simulator: `podscale serve` and the simulated
 * optimizer-based KPA call the same functions with the same inputs.
 */
#ifndef PODSCALE_OPTIMIZER_H
#define PODSCALE_OPTIMIZER_H

#include "optimizer/decision.h"
#include "optimizer/ilp.h"
#include "optimizer/model.h"
#include "optimizer/monitor.h"
#include "optimizer/opt_err.h"
#include "optimizer/profile.h"
#include "optimizer/store.h"

#endif
