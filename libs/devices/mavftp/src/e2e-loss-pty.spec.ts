import { describeLossRuns } from './e2e-loss';

// The serial path on a real tty (the simulator's pty), opened by serialport like a USB autopilot.
describeLossRuns('pty');
