// Calibration of a judge's P(yes): expected calibration error over equal-width bins, the
// |accuracy - confidence| gap of each bin weighted by its share of the answers (Guo et al. 2017,
// here on the yes probability itself: bin by P(yes), compare with the share of yes labels).

export interface Calibration {
  ece: number;
  bins: { lo: number; hi: number; count: number; mean_p: number; share_yes: number }[];
}

export function expectedCalibrationError(pYes: readonly number[], yes: readonly boolean[], bins = 10): Calibration {
  if (pYes.length !== yes.length) throw new Error(`expectedCalibrationError: ${pYes.length} probabilities for ${yes.length} labels`);
  if (pYes.length === 0) throw new Error("expectedCalibrationError: no answers");
  const sums = Array.from({ length: bins }, () => ({ count: 0, p: 0, yes: 0 }));
  pYes.forEach((p, i) => {
    const b = sums[Math.min(bins - 1, Math.floor(p * bins))]; // P = 1 falls in the last bin
    b.count++;
    b.p += p;
    b.yes += yes[i] ? 1 : 0;
  });
  let ece = 0;
  const out = sums.map((b, k) => {
    if (b.count > 0) ece += (b.count / pYes.length) * Math.abs(b.yes / b.count - b.p / b.count);
    return { lo: k / bins, hi: (k + 1) / bins, count: b.count, mean_p: b.count > 0 ? b.p / b.count : 0, share_yes: b.count > 0 ? b.yes / b.count : 0 };
  });
  return { ece, bins: out };
}
