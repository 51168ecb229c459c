package pulse.peer;

import java.util.Arrays;

/**
 * The decisions, in the shape of Pulse's default rules but simpler (no population prior, no
 * gamma quantile, no outage guard): a rhythm from 5 active days, a personal hurdle of
 * max(centre + 3 × spread, 2.5 × centre) days between 4 and 90 (centre: the median gap between
 * active days, spread: their scaled median absolute deviation), and ready to buy when a buyer
 * with 3 purchase gaps is inside 0.8–2 × their usual purchase gap and their visits speed up.
 */
final class Rules {
  static final long DAY_MS = 86_400_000L;
  static final int MIN_ACTIVE_DAYS = 5;
  static final double MIN_HURDLE_DAYS = 4;
  static final double MAX_HURDLE_DAYS = 90;
  static final int MIN_PURCHASE_GAPS = 3;
  static final int READY_TO_BUY_COOLDOWN_DAYS = 14;

  private Rules() {}

  static int[] gaps(int[] days) {
    int[] gaps = new int[Math.max(0, days.length - 1)];
    for (int i = 1; i < days.length; i += 1) gaps[i - 1] = days[i] - days[i - 1];
    return gaps;
  }

  static double median(int[] values) {
    int[] sorted = values.clone();
    Arrays.sort(sorted);
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
  }

  /** Silent days after which the customer lapses; NaN without a rhythm. */
  static double hurdleDays(int[] activeDays) {
    if (activeDays.length < MIN_ACTIVE_DAYS) return Double.NaN;
    int[] gaps = gaps(activeDays);
    double centre = median(gaps);
    int[] deviations = new int[gaps.length];
    for (int i = 0; i < gaps.length; i += 1) deviations[i] = (int) Math.round(Math.abs(gaps[i] - centre));
    double spread = 1.4826 * median(deviations);
    double hurdle = Math.max(centre + 3 * spread, 2.5 * centre);
    return Math.min(MAX_HURDLE_DAYS, Math.max(MIN_HURDLE_DAYS, hurdle));
  }

  /** The instant a silent customer lapses: the end of their last active day plus the hurdle. */
  static long dueAtMs(int[] activeDays) {
    double hurdle = hurdleDays(activeDays);
    if (Double.isNaN(hurdle)) return -1L;
    long lastDayEnd = (activeDays[activeDays.length - 1] + 1L) * DAY_MS;
    return lastDayEnd + Math.round(hurdle * DAY_MS);
  }

  /** Ready to buy on `today`: inside the repurchase window and visits speeding up. */
  static boolean readyToBuy(Profile profile, int today) {
    int[] purchaseGaps = gaps(profile.purchaseDays);
    if (purchaseGaps.length < MIN_PURCHASE_GAPS) return false;
    boolean signalledBefore = profile.lastReadyToBuyDay != Integer.MIN_VALUE;
    if (signalledBefore && today - profile.lastReadyToBuyDay < READY_TO_BUY_COOLDOWN_DAYS) {
      return false;
    }
    double usualPurchaseGap = median(purchaseGaps);
    int sinceLastPurchase = today - profile.purchaseDays[profile.purchaseDays.length - 1];
    if (sinceLastPurchase < 0.8 * usualPurchaseGap || sinceLastPurchase > 2 * usualPurchaseGap) {
      return false;
    }
    return accelerating(profile.activeDays, today);
  }

  /** The last 3 gaps at most half the usual one, or the last 7 days busier than usual. */
  static boolean accelerating(int[] activeDays, int today) {
    int[] gaps = gaps(activeDays);
    if (gaps.length >= 4) {
      double usual = median(gaps);
      double recent = median(Arrays.copyOfRange(gaps, gaps.length - 3, gaps.length));
      if (recent <= 0.5 * usual) return true;
    }
    int recentDays = 0;
    int baselineDays = 0;
    for (int day : activeDays) {
      if (day > today - 7 && day <= today) recentDays += 1;
      else if (day > today - 35 && day <= today - 7) baselineDays += 1;
    }
    boolean history = activeDays.length > 0 && activeDays[0] <= today - 35;
    return history && recentDays >= 3 && recentDays >= 1.8 * (baselineDays / 4.0);
  }
}
