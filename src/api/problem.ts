// One thing wrong with a Pipeline document, at a field path such as `spec.stages[2].dependsOn[0]`.
export type ValidationProblem = { path: string; message: string };
