/** 2025-01-15 00:00 China Standard Time, in Unix ms: a fixed simulated start for deterministic runs. */
export const MIDNIGHT_CST = Date.UTC(2025, 0, 14, 16, 0, 0);
