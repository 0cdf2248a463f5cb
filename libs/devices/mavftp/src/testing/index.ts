export { startPx4Sim, makeSdRoot, type Px4Sim, type Px4SimReady, type SimState } from './px4-sim';
