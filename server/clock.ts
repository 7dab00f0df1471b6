// The wall clock in epoch seconds: the default `now` wherever a clock is injectable.
export const systemClock = (): number => Math.floor(Date.now() / 1000);
