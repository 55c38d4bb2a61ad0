// Refused: a module that exports no plugin.
export const notAPlugin = { id: 'not-a-plugin' };
