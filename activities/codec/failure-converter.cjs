// Failure messages and stack traces (a vendor error naming a host, say) move into an encoded payload,
// so the payload codec encrypts them like any other. Plain CommonJS: the Worker and Client load it
// with require(), and the workflow bundle aliases it (failureConverterPath), so one file serves both.
'use strict';

const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
