/** The run lock: a lease in the directory shared by every host, or the lock file of this host (SPEC §5). */
export { CannotHoldLeaseError, DirectoryLease, LEASE_OBJECT_CLASS, LeaseLostError } from './lease.js';
export {
  fileRunLock,
  type HeldRunLock,
  leaseOptions,
  NO_LOCK,
  type RunLockRequest,
  takeRunLock,
} from './run-lock.js';
