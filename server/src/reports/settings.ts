/**
 * The server settings of riders' reports (spread into SERVER_SETTINGS, settings.ts): the abuse
 * limits of new reports and the contact retention; defaults from reports/limits.ts.
 */
import { int } from '@yizhan/common/settings';
import {
  DEFAULT_REPORTS_PER_ADDRESS_HOUR,
  DEFAULT_REPORTS_PER_DEVICE_DAY,
  DEFAULT_REPORTS_PER_DEVICE_HOUR,
  DEFAULT_REPORT_CONTACT_RETENTION_DAYS,
} from './limits.js';

export const REPORT_SETTINGS = {
  reportsPerDeviceHour: int({
    min: 1,
    max: 10_000,
    default: DEFAULT_REPORTS_PER_DEVICE_HOUR,
    zh: '骑手随手拍：一台设备（页面保存的设备编号）每小时最多提交的反映条数；超出返回 429 并计数，不保存',
    en: "Riders' reports one device (the page's device id) may send an hour; more get 429, are counted and not stored",
  }),
  reportsPerDeviceDay: int({
    min: 1,
    max: 100_000,
    default: DEFAULT_REPORTS_PER_DEVICE_DAY,
    zh: '骑手随手拍：一台设备每天最多提交的反映条数',
    en: "Riders' reports one device may send a day",
  }),
  reportsPerAddressHour: int({
    min: 1,
    max: 100_000,
    default: DEFAULT_REPORTS_PER_ADDRESS_HOUR,
    zh: '骑手随手拍：一个客户端地址每小时最多提交的反映条数（不论设备编号；同一 4G 出口后可能有多名骑手）',
    en: "Riders' reports one client address may send an hour, whatever device ids it gives (several riders may share a 4G carrier address)",
  }),
  reportContactRetentionDays: int({
    min: 1,
    max: 3650,
    default: DEFAULT_REPORT_CONTACT_RETENTION_DAYS,
    zh: '骑手随手拍：反映办结（已解决、重复、不予受理、不属受理范围）后保留骑手联系方式的天数，之后删除',
    en: "Days a closed rider report (resolved, duplicate, not valid, outside our remit) keeps the rider's contact data before it is deleted",
  }),
};

/** The settings' values as ServerOptions.reports. */
export function reportOptions(v: {
  reportsPerDeviceHour: number;
  reportsPerDeviceDay: number;
  reportsPerAddressHour: number;
  reportContactRetentionDays: number;
}) {
  return {
    perDeviceHour: v.reportsPerDeviceHour,
    perDeviceDay: v.reportsPerDeviceDay,
    perAddressHour: v.reportsPerAddressHour,
    contactRetentionDays: v.reportContactRetentionDays,
  };
}
