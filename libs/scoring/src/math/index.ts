export { mathScorer, mathQuestion, MATH_INSTRUCTION, MATH_METRICS, MATH_REFERENCE } from './math-scorer';
export { extractBoxed, isEquiv, stripString, lastBoxedOnlyString, removeBoxed, fixFracs, fixASlashB, fixSqrt, removeRightUnits, pyIntStr, PythonError } from './normalize';
