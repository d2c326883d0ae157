export { mathScorer, mathQuestion, MATH_INSTRUCTION, MATH_METRICS } from './math-scorer';
export { extractBoxed, isEquiv, stripString, lastBoxedOnlyString, removeBoxed, fixFracs, fixASlashB, fixSqrt, removeRightUnits, pyIntStr, PythonError } from './normalize';
