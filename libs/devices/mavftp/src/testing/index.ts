export { startPx4Sim, makeSdRoot, type Px4Sim, type Px4SimReady, type SimState } from './px4-sim';
export { startPx4Sitl, px4SitlMissing, PX4_SITL_SCRIPT, type Px4Sitl, type Px4SitlReady } from './px4-sitl';
export { Px4Gcs } from './px4-gcs';
