// Package contract holds the values the guard and the constructs share, generated from
// lambda_layer/protect_lambda/contract.py (Py<NAME> is the Python constant NAME).
package contract
