// The operator dashboard's entry (built to dist/assets/ops.js).
import { start } from './ops/app.js'

start()
