/**
 * serialport binding types, derived from the packages' own declarations. (`@serialport/bindings-interface`
 * and `@serialport/binding-mock` ship no ESM type entry, so they are not imported directly.)
 */
import type { OpenOptions as StreamOpenOptions } from '@serialport/stream';
import type { SerialPortMock } from 'serialport';

/** Any serialport binding (native, mock, or the paired mock). */
export type Binding = StreamOpenOptions['binding'];
/** What `binding.open()` takes. */
export type BindingOpenOptions = Parameters<Binding['open']>[0];
/** One open port of a binding. */
export type BindingPort = Awaited<ReturnType<Binding['open']>>;
/** `@serialport/binding-mock`'s binding, as serialport itself loads it. */
export type MockBindingType = typeof SerialPortMock.binding;
/** An open port of the mock binding. */
export type MockPort = Awaited<ReturnType<MockBindingType['open']>>;
