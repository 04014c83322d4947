/** The Lakebox release, shown by `lakebox --version` and reported by servers. */
export const VERSION = '0.1.0';
