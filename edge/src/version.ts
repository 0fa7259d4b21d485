/** Version of the edge agent, reported in status and health messages. */
export const AGENT_VERSION = '0.1.0';
