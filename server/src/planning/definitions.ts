/**
 * Every figure of the planners' analytics with its definition (zh-CN and English) and the
 * measurements it is computed from: served at /api/v1/planning/definitions, shown one click away
 * from each number on the page, and written out in docs/planning.md "Analytics".
 */
import type { DefinitionsAnswer } from './analytics-schemas.js';
import { NEAR_FULL_SHARE, TURNED_AWAY_WINDOW_MS } from './measures.js';

type Definition = DefinitionsAnswer['definitions'][number];

const near = Math.round(NEAR_FULL_SHARE * 100);
const windowMin = TURNED_AWAY_WINDOW_MS / 60_000;

export const DEFINITIONS: readonly Definition[] = [
  {
    key: 'samples',
    name: { 'zh-CN': '开放时段样本数', en: 'Open-hour samples' },
    definition: {
      'zh-CN': '范围内驿站开放时段（按其营业时间、县内时区）收到的人数读数条数；以下比例都按样本加权。',
      en: 'Occupancy readings received while the station was open (its hours, county time zone) in the range; the shares below are weighted by samples.',
    },
    source: 'station_use (count of occupancy) → station_use_1h.samples, station_use_1d.samples',
  },
  {
    key: 'occupancyMean',
    name: { 'zh-CN': '平均在站人数', en: 'Mean people inside' },
    definition: {
      'zh-CN': '开放时段内在站人数读数的平均值。座位利用率 = 平均在站人数 ÷ 座位数。',
      en: 'Mean of the people-inside readings during open hours. Seat use = mean people inside ÷ seats.',
    },
    source: 'station_use.occupancy → station_use_1d.occupancy_sum / samples; heatmap: station_use_1h / township_use_1h.occupancy_mean',
  },
  {
    key: 'fullShare',
    name: { 'zh-CN': '满座率', en: 'Full share' },
    definition: {
      'zh-CN': '开放时段中在站人数 ≥ 座位数的样本所占比例。',
      en: 'Share of open-hour samples with people inside ≥ seats.',
    },
    source: 'station_use.full → station_use_1d.full_n / samples; heatmap: *_use_1h.full_share',
  },
  {
    key: 'nearFullShare',
    name: { 'zh-CN': '近满座率（排名依据）', en: 'Nearly-full share (ranking key)' },
    definition: {
      'zh-CN': `开放时段中在站人数 ≥ 座位数的 ${near}%（向上取整）的样本所占比例。排名先按此项，再按平均在站人数。`,
      en: `Share of open-hour samples with people inside ≥ ${near} % of seats (rounded up). The ranking sorts by this, then by mean people inside.`,
    },
    source: 'station_use.near_full → station_use_1d.near_full_n / samples; heatmap: *_use_1h.near_full_share',
  },
  {
    key: 'allBusyShare',
    name: { 'zh-CN': '插座全忙率', en: 'All-sockets-busy share' },
    definition: {
      'zh-CN': '开放时段中所有充电插座都在充电的样本所占比例（按收到人数读数时各插座的最新状态）。无插座的驿站为空。',
      en: 'Share of open-hour samples in which every charging socket was charging (each socket’s latest state when the occupancy reading came). Empty for a station without sockets.',
    },
    source: 'station_use.all_busy (socket_state) → station_use_1d.all_busy_n / samples',
  },
  {
    key: 'sessions',
    name: { 'zh-CN': '充电次数', en: 'Charging sessions' },
    definition: {
      'zh-CN': '插座状态由空闲变为充电的次数（每次为一次充电开始）。',
      en: 'Times a socket went from idle to charging (each is a charging session started).',
    },
    source: 'socket_session.started → sessions_1h.sessions, station_use_1d.sessions',
  },
  {
    key: 'energyKwh',
    name: { 'zh-CN': '充电电量（千瓦时）', en: 'Charging energy (kWh)' },
    definition: {
      'zh-CN': '各插座功率读数对时间的积分之和（读数之间按线性插值）。',
      en: 'Sum over the sockets of their power readings integrated over time (linear between readings).',
    },
    source: 'socket_power → socket_energy_1h.energy_wh (integral) → station_use_1d.energy_wh',
  },
  {
    key: 'turnedAway',
    name: { 'zh-CN': '估计未能入站人次', en: 'Estimated riders turned away' },
    definition: {
      'zh-CN': `满座时门被打开、且此后 ${windowMin} 分钟内在站人数没有增加的次数（按驿站自身时间判定）。这是估计：开门也可能是离开或路过的人。`,
      en: `Door openings while full not followed by a rise in people inside within ${windowMin} minutes (on the station’s own clock). An estimate: a door may also open for someone leaving or looking in.`,
    },
    source: 'door + occupancy → turned_away.count → turned_away_1h, station_use_1d.turned_away',
  },
  {
    key: 'heaterOnShare',
    name: { 'zh-CN': '加热占空比', en: 'Heater duty' },
    definition: {
      'zh-CN': '加热器处于工作状态的读数比例（各日比例的平均）。传感器不计杯数：取水量无法测得，这是热水使用的间接指标。',
      en: 'Share of heater readings with the heater on (mean of the daily shares). The sensors do not count cups: water drawn is not measured; this is an indirect measure of hot-water use.',
    },
    source: 'heater → station_use_1d.heater_on_share',
  },
  {
    key: 'rank',
    name: { 'zh-CN': '排名', en: 'Rank' },
    definition: {
      'zh-CN': '1 为使用最多：按近满座率从高到低，相同时按平均在站人数；无数据的驿站排在最后。',
      en: '1 = most used: by nearly-full share, highest first, then mean people inside; stations without data last.',
    },
    source: 'nearFullShare, occupancyMean',
  },
  {
    key: 'reason',
    name: { 'zh-CN': '原因', en: 'Reason' },
    definition: {
      'zh-CN': '排名靠前的驿站：满座率最高的一周时段（周一至周五或周末，连续数小时）；其余：平均在站人数与座位利用率。',
      en: 'Top stations: the hour-of-week block (Mon–Fri or the weekend, a few consecutive hours) with the highest full share; others: mean people inside and seat use.',
    },
    source: 'station_use_1h.full_share, samples; station_use_1d',
  },
  {
    key: 'previous',
    name: { 'zh-CN': '上期', en: 'Previous period' },
    definition: {
      'zh-CN': '紧接在所选范围之前、等长的范围内的同一指标（默认 28 天，即环比）。',
      en: 'The same figure over the range of equal length just before the chosen one (28 days by default: period over period).',
    },
    source: 'station_use_1d',
  },
  {
    key: 'opened',
    name: { 'zh-CN': '开站 / 关站', en: 'Opened / closed' },
    definition: {
      'zh-CN': '驿站文件中的 opened / closed 日期（当地零点）落在范围内时标出。',
      en: 'The opened / closed dates of the station file (local midnight), when inside the range.',
    },
    source: 'station files: opened, closed',
  },
  {
    key: 'heatmap',
    name: { 'zh-CN': '一周热力图', en: 'Hour-of-week heatmap' },
    definition: {
      'zh-CN': '按县内时区把每小时汇总折叠到周一至周日 × 0–23 点，每格为该时段所有样本的加权平均；全县按各镇街样本数加权。',
      en: 'Hourly rollups folded to Monday–Sunday × 0–23 h in the county time zone; each cell is the sample-weighted mean of its hours; the county weights its townships by samples.',
    },
    source: 'station_use_1h (a station), township_use_1h (a township, the county)',
  },
];
