import * as echarts from 'echarts';

// Charts are rendered to SVG strings on the server (echarts' SSR mode), so the HTML report, its PDF
// and an e-mail attachment look the same without a browser running any script.

export interface BarSeries {
  name: string;
  values: (number | null)[];
}

export interface BarChartOptions {
  title: string;
  categories: string[];
  series: BarSeries[];
  unit: string;
  max?: number;
  width?: number;
  height?: number;
}

const PALETTE = ['#b91c1c', '#d97706', '#2563eb', '#059669', '#7c3aed'];

export function barChartSvg(options: BarChartOptions): string {
  return chartSvg(options, 'bar');
}

/** The same axes as a bar chart, one line per series: a trend over periods. */
export function lineChartSvg(options: BarChartOptions): string {
  return chartSvg(options, 'line');
}

function chartSvg(options: BarChartOptions, type: 'bar' | 'line'): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: options.width ?? 640, height: options.height ?? 240 });
  try {
    chart.setOption({
      animation: false,
      color: PALETTE,
      textStyle: { fontFamily: 'DejaVu Sans, Arial, sans-serif' },
      title: { text: options.title, left: 0, textStyle: { fontSize: 13 } },
      legend: { top: 0, right: 0, textStyle: { fontSize: 11 } },
      grid: { left: 48, right: 12, top: 56, bottom: 28 },
      xAxis: { type: 'category', data: options.categories, axisLabel: { fontSize: 11 } },
      yAxis: { type: 'value', max: options.max, axisLabel: { formatter: `{value}${options.unit}`, fontSize: 10 } },
      series: options.series.map((s) => ({ name: s.name, type, data: s.values, barMaxWidth: 28, connectNulls: false, label: { show: true, position: 'top', fontSize: 9 } })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
