export * from './agent/index.js';
export * from './simulator/index.js';
export {
  PairedMockBinding,
  mockDevice,
  mockPathFor,
  MAX_PENDING_BYTES,
  MAX_BYTES_WHILE_CLOSED,
  type MockDeviceEnd,
} from './serial/mock-pair.js';
export { openPort, closePort, PortOpenError, type PortSettings } from './serial/open-port.js';
export type { Binding } from './serial/types.js';
export { AGENT_VERSION } from './version.js';
export {
  ModbusPoller,
  ModbusConfig,
  ModbusConfigError,
  parseModbusConfig,
  loadModbusConfig,
  MODBUS_PROBLEMS,
  type ModbusPollerOptions,
} from './modbus/poller.js';
export { ModbusMaster, ModbusError, crc16modbus, readRequest, parseReadResponse, type RegisterTable } from './modbus/rtu.js';
