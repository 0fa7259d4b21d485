/**
 * One ECharts chart in a component's element: drawn as SVG in the app's fonts on mount, drawn again
 * whenever `option`'s reactive inputs change, kept to the element's size (a ResizeObserver: a phone
 * turned, a window or a side panel resized; it runs before the next paint, so a narrower box never
 * shows a chart wider than itself), and disposed with the component.
 */
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([SVGRenderer]);

export const CHART_FONT = "system-ui, 'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif";

export function useChart(el: Ref<HTMLElement | null>, option: () => echarts.EChartsCoreOption): void {
  let chart: echarts.ECharts | null = null;
  let sizes: ResizeObserver | null = null;
  const draw = (o: echarts.EChartsCoreOption) =>
    chart?.setOption({ animation: false, textStyle: { fontFamily: CHART_FONT }, ...o }, true);
  onMounted(() => {
    const box = el.value!;
    chart = echarts.init(box, undefined, { renderer: 'svg' });
    draw(option());
    sizes = new ResizeObserver(() => chart?.resize());
    sizes.observe(box);
  });
  onBeforeUnmount(() => {
    sizes?.disconnect();
    chart?.dispose();
    chart = null;
  });
  watch(option, draw);
}
