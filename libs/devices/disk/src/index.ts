export { createDiskDevice, DISK_DEFAULTS, type DiskDevice, type DiskDeviceOptions, type DiskEvent, type DiskStatus } from './disk-device';
export {
  createVolumeSource,
  type ReadGate,
  type ReadRequest,
  type VolumeChunk,
  type VolumeSource,
  type VolumeSourceOptions,
  type VolumeStats,
} from './volume-source';
export { MountWatcher, type MountEvent, type MountWatcherOptions } from './mount-watcher';
export { parseMountInfo, readMountTable, type MountEntry } from './mount-table';
export { findDrive, readVolumeLinks, volumeKey, volumeSourceId, type DriveMatch, type MountedDrive, type VolumeLinks } from './volume-identity';
export { presenceCheck, type PresenceOptions } from './presence';
export { ReadFailureTracker, type ReadFailure } from './read-failure-tracker';
