// Charts of the analysis module: contour plots with optimizer paths, and Taylor polynomials.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { contourChart, taylorChart } from "../../src/analysis/index.js";

const rosenbrock = (x: number, y: number) => (1 - x) ** 2 + 100 * (y - x * x) ** 2;

describe("contourChart", () => {
  const paths = [
    {
      label: "first path",
      points: [
        [-1.2, 1],
        [-1, 0.9],
        [0, 0],
        [1, 1],
      ],
    },
    {
      label: "second path",
      points: Array.from({ length: 500 }, (_, i) => Float64Array.of(-1 + i / 250, 0.5)),
    },
  ];
  const svg = contourChart(rosenbrock, {
    xRange: [-2, 2],
    yRange: [-1, 3],
    paths,
    marker: [1, 1],
    title: "Rosenbrock",
  });

  it("is a standalone SVG with its title, legend and star marker inside", () => {
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    for (const text of ["Rosenbrock", "first path", "second path", "minimum (1, 1)", "log-spaced levels"])
      expect(svg).toContain(text);
    expect(svg).toContain("<polygon");
  });

  it("draws the contours, every iterate of a short path, and thins a long one", () => {
    expect((svg.match(/<path/g) ?? []).length).toBeGreaterThan(20);
    // The 500-point path is straight: thinning keeps only points ¾ px apart, far fewer than 500.
    const long = svg.split("<path").find((p) => p.includes('stroke="#ff7f0e"'))!;
    expect((long.match(/L/g) ?? []).length).toBeLessThan(500);
  });

  it("spaces levels evenly for functions of small range, and rejects bad ranges", () => {
    const linear = contourChart((x, y) => x + y, { xRange: [0, 1], yRange: [0, 1], levels: 5 });
    expect(linear).toContain("evenly spaced levels");
    expect(() => contourChart(rosenbrock, { xRange: [1, -1], yRange: [0, 1] })).toThrow(
      "contourChart: xRange [1, -1] must be two finite numbers in increasing order",
    );
    expect(() => contourChart(rosenbrock, { xRange: [0, 1], yRange: [0, 1], levels: 1 })).toThrow(
      /levels must be/,
    );
  });
});

describe("taylorChart", () => {
  it("draws f and one curve per degree, in a y range that follows f", () => {
    const svg = taylorChart(nb.sin, 0, [1, 3, 5], [-Math.PI, Math.PI], { title: "sin" });
    for (const label of ["f(x)", "degree 1", "degree 3", "degree 5", "sin"]) expect(svg).toContain(label);
    expect(() => taylorChart(nb.sin, 5, [1], [0, 1])).toThrow("taylorChart: x0 = 5 lies outside [0, 1]");
  });
});
