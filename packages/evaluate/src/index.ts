// @pulse/evaluate: the backtest behind `pulse evaluate` (a log through the core, scored against
// its own holdout period, beside the naive rule and the fitted BG/NBD and MBG/NBD models).
export { ceilingsOf, type Ceilings } from './ceilings.ts';
export { LogFormatError, parseInstant, parseLog, splitCsvLine, toMinorUnits } from './csv.ts';
export {
  evaluateLog,
  falseAlarmShare,
  FALSE_ALARM_WINDOW_DAYS,
  type EvaluateOptions,
  type EvaluationResult,
  type FittedParameters,
  type PredictorFigures,
  type PulseFigures,
} from './evaluate.ts';
export { runLog, type EmittedSignal, type LogRunOptions, type LogRunResult } from './log-runner.ts';
export { calibration, classify, rocAuc, rocCurve } from './metrics.ts';
export { buildReport, escapeHtml } from './report.ts';
export {
  syntheticFigures,
  syntheticVisitPopulation,
  SYNTHETIC_GROUPS,
  type SyntheticCustomer,
  type SyntheticFigures,
  type SyntheticGroup,
  type SyntheticOptions,
  type SyntheticPopulation,
} from './synthetic.ts';
