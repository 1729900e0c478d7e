// Limits of Node's timers, shared by every module that arms one (the work queue, API deadlines).

/**
 * The longest delay Node's setTimeout honours (2^31-1 ms, about 24.8 days). A longer delay is
 * not clamped but replaced by 1 ms, so every timer must be armed for at most this long.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
