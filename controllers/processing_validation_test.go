/*
Copyright 2026 The Amber Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package controllers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsyaml "sigs.k8s.io/yaml"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// The rules of spec.processing (the record of processing, GDPR Art. 30) and the one that ties
// special categories to the hardening profile and the residency, held against the real API
// server. Every case is a dry run: the API server defaults and validates the workload in
// full, and no reconciler runs it.

// recorded is a workload with a valid record of processing: a payment service, the controller
// of its data, with one purpose under Contract and one under LegitimateInterests.
func recorded(namespace, name string) *gdprv1alpha1.GDPRWorkload {
	w := workload(namespace, name, 1, "registry.example/payments:1.4")
	w.Spec.Processing = &gdprv1alpha1.Processing{
		Role:       gdprv1alpha1.RoleController,
		Controller: gdprv1alpha1.Party{Name: "Example Payments GmbH", Contact: "privacy@example.com"},
		Purposes: []gdprv1alpha1.Purpose{{
			Name:           "essential.service.payment_processing",
			Description:    "Charges the customer's card for an order.",
			LawfulBasis:    gdprv1alpha1.BasisContract,
			DataCategories: []string{"user.financial.credit_card", "user.contact.email"},
			DataSubjects:   []string{"customer"},
			Retention:      "P10Y",
		}, {
			Name:               "essential.fraud_detection",
			Description:        "Scores each payment for fraud.",
			LawfulBasis:        gdprv1alpha1.BasisLegitimateInterests,
			LegitimateInterest: "fraud prevention on card payments",
			DataCategories:     []string{"user.device.ip_address"},
			DataSubjects:       []string{"customer"},
			Retention:          "90d",
		}},
		ThirdCountryTransfers: []gdprv1alpha1.ThirdCountryTransfer{{
			Country: "US", Recipient: "Example Support Inc.", Safeguard: gdprv1alpha1.SafeguardStandardContractualClauses,
		}},
		LastReviewed: &gdprv1alpha1.Review{Date: "2026-03-31", By: "Data Protection Office"},
	}
	return w
}

// withHealthData makes the first purpose process health data under explicit consent, in the
// EU, with the profile left for the API server to default.
func withHealthData(w *gdprv1alpha1.GDPRWorkload) {
	w.Spec.Processing.Purposes[0].SpecialCategories = []gdprv1alpha1.SpecialCategory{gdprv1alpha1.SpecialHealth}
	w.Spec.Processing.Purposes[0].SpecialCategoryCondition = gdprv1alpha1.ConditionExplicitConsent
	w.Spec.Residency.AllowedRegions = []string{"eu-west-1"}
}

// purpose is the workload's first purpose, for a mutation to edit.
func purpose(w *gdprv1alpha1.GDPRWorkload) *gdprv1alpha1.Purpose {
	return &w.Spec.Processing.Purposes[0]
}

var _ = Describe("GDPRWorkload record of processing validation", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("accepts the record it starts from", func(ctx SpecContext) {
		Expect(k8sClient.Create(ctx, recorded(ns, "valid"), client.DryRunAll)).To(Succeed())
	})

	DescribeTable("the API server refuses a bad record with a message naming the field",
		func(ctx SpecContext, mutate func(*gdprv1alpha1.GDPRWorkload), want ...string) {
			w := recorded(ns, "bad")
			mutate(w)
			err := k8sClient.Create(ctx, w, client.DryRunAll)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid error, got %v", err)
			for _, s := range want {
				Expect(err.Error()).To(ContainSubstring(s))
			}
		},
		// The lawful basis.
		Entry("legitimate interests that name no interest", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.Purposes[1].LegitimateInterest = ""
		}, "spec.processing.purposes[1].legitimateInterest: Invalid value",
			"spec.processing.purposes[].legitimateInterest is required when lawfulBasis is LegitimateInterests"),
		Entry("legitimate interests whose interest is blank", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.Purposes[1].LegitimateInterest = "   "
		}, "spec.processing.purposes[].legitimateInterest is required when lawfulBasis is LegitimateInterests"),
		Entry("an interest beside another basis", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).LegitimateInterest = "keeping customers"
		}, "spec.processing.purposes[0].legitimateInterest: Invalid value",
			"spec.processing.purposes[].legitimateInterest is only for lawfulBasis LegitimateInterests"),
		Entry("a basis outside Art. 6(1)", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).LawfulBasis = "Business" },
			`spec.processing.purposes[0].lawfulBasis: Unsupported value: "Business"`),

		// Special categories.
		Entry("special categories without the Art. 9(2) condition", func(w *gdprv1alpha1.GDPRWorkload) {
			withHealthData(w)
			purpose(w).SpecialCategoryCondition = ""
		}, "spec.processing.purposes[0].specialCategoryCondition: Invalid value",
			"spec.processing.purposes[].specialCategoryCondition is required when specialCategories lists any: one of ExplicitConsent"),
		Entry("an Art. 9(2) condition without special categories", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).SpecialCategoryCondition = gdprv1alpha1.ConditionExplicitConsent
		}, "spec.processing.purposes[0].specialCategoryCondition: Invalid value",
			"spec.processing.purposes[].specialCategoryCondition is only for a purpose that lists specialCategories"),
		Entry("a special category outside Art. 9(1)", func(w *gdprv1alpha1.GDPRWorkload) {
			withHealthData(w)
			purpose(w).SpecialCategories = []gdprv1alpha1.SpecialCategory{"Financial"}
		}, `spec.processing.purposes[0].specialCategories[0]: Unsupported value: "Financial"`),
		Entry("special categories under the Baseline profile", func(w *gdprv1alpha1.GDPRWorkload) {
			withHealthData(w)
			w.Spec.Hardening.Profile = gdprv1alpha1.HardeningBaseline
		}, "spec.processing.purposes: Invalid value",
			"spec.processing.purposes[].specialCategories of purpose essential.service.payment_processing requires spec.hardening.profile Immutable and at least one region in spec.residency.allowedRegions"),
		Entry("special categories with no region declared", func(w *gdprv1alpha1.GDPRWorkload) {
			withHealthData(w)
			w.Spec.Residency.AllowedRegions = nil
		}, "spec.processing.purposes[].specialCategories of purpose essential.service.payment_processing requires spec.hardening.profile Immutable and at least one region in spec.residency.allowedRegions"),
		Entry("special categories in a second purpose, zones but no region", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.Purposes[1].SpecialCategories = []gdprv1alpha1.SpecialCategory{gdprv1alpha1.SpecialBiometric}
			w.Spec.Processing.Purposes[1].SpecialCategoryCondition = gdprv1alpha1.ConditionExplicitConsent
			w.Spec.Residency.AllowedZones = []string{"eu-west-1a"}
		}, "spec.processing.purposes[].specialCategories of purpose essential.fraud_detection requires spec.hardening.profile Immutable"),

		// Retention.
		Entry("a retention that is only a policy", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "as per policy" },
			"spec.processing.purposes[0].retention: Invalid value",
			"spec.processing.purposes[].retention must be a duration or a sentence: an ISO 8601 duration (P7Y, P6M, P90D, P1Y6M, PT12H), hours or days (8760h, 90d)",
			`spec.processing.purposes[].retention must state the period or what ends it, not defer to a policy or to need: "as per policy"`),
		Entry("a sentence that defers to the retention policy", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "Kept as per our retention policy."
		}, "spec.processing.purposes[].retention must state the period or what ends it"),
		Entry("a sentence that follows the company policies", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "Deleted According To the Company Policies."
		}, "spec.processing.purposes[].retention must state the period or what ends it"),
		Entry("a sentence that keeps data as long as necessary", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "Kept as long as necessary for the contract."
		}, "spec.processing.purposes[].retention must state the period or what ends it"),
		Entry("a sentence that keeps data as needed", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "Stored as needed by the payments team."
		}, "spec.processing.purposes[].retention must state the period or what ends it"),
		Entry("a sentence that leaves it to be decided", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "To be decided by the legal team."
		}, "spec.processing.purposes[].retention must state the period or what ends it"),
		Entry("a duration in words", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "7 years" },
			"spec.processing.purposes[].retention must be a duration or a sentence"),
		Entry("a sentence without a full stop", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "Deleted 30 days after the account is closed"
		}, "spec.processing.purposes[].retention must be a duration or a sentence"),
		Entry("a sentence of two words", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "Deleted   whenever-we-close-accounts."
		}, "spec.processing.purposes[].retention must be a duration or a sentence"),
		Entry("a sentence shorter than 20 characters", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "Kept for a while."
		}, "spec.processing.purposes[].retention must be a duration or a sentence"),
		Entry("an ISO 8601 duration of nothing", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "P" },
			"spec.processing.purposes[].retention must be a duration or a sentence"),
		Entry("an ISO 8601 duration with an empty time part", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "P1YT" },
			"spec.processing.purposes[].retention must be a duration or a sentence"),
		Entry("an ISO 8601 duration in the wrong order", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "P6M1Y" },
			"spec.processing.purposes[].retention must be a duration or a sentence"),
		Entry("minutes, ambiguous with months", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "90m" },
			"spec.processing.purposes[].retention must be a duration or a sentence"),
		Entry("no retention", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "" },
			"spec.processing.purposes[0].retention: Invalid value"),

		// fideslang keys.
		Entry("a purpose outside the fideslang data uses", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Name = "payments" },
			"spec.processing.purposes[0].name: Invalid value",
			`spec.processing.purposes[].name "payments" is not a fideslang data use: write lowercase words of a-z, 0-9 and _ joined by dots, starting with one of analytics, collect, employment, essential, finance, functional, marketing, operations, personalize, sales, third_party_sharing, train_ai_system`),
		Entry("a purpose key in capitals", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Name = "Essential.Service" },
			`spec.processing.purposes[].name "Essential.Service" is not a fideslang data use`),
		Entry("a purpose key with an empty part", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Name = "essential..service" },
			`spec.processing.purposes[].name "essential..service" is not a fideslang data use`),
		Entry("a purpose key that only starts like a data use", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Name = "essentials.service" },
			`spec.processing.purposes[].name "essentials.service" is not a fideslang data use`),
		Entry("two purposes of one name", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.Purposes[1].Name = purpose(w).Name
		}, `spec.processing.purposes[1]: Duplicate value`),
		Entry("no purpose", func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Processing.Purposes = []gdprv1alpha1.Purpose{} },
			"spec.processing.purposes: Invalid value: 0: spec.processing.purposes in body should have at least 1 items"),
		Entry("a data category outside user and system", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).DataCategories = []string{"user.contact.email", "customer.email"}
		}, "spec.processing.purposes[0].dataCategories[1]: Invalid value",
			`spec.processing.purposes[].dataCategories: "customer.email" is not a fideslang data category: write lowercase words of a-z, 0-9 and _ joined by dots, under user or system`),
		Entry("a data category written as a path", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).DataCategories = []string{"user/financial"} },
			`spec.processing.purposes[].dataCategories: "user/financial" is not a fideslang data category`),
		Entry("no data category", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).DataCategories = []string{} },
			"spec.processing.purposes[0].dataCategories: Invalid value: 0"),
		Entry("a data subject in capitals", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).DataSubjects = []string{"Customer"} },
			"spec.processing.purposes[0].dataSubjects[0]: Invalid value",
			`spec.processing.purposes[].dataSubjects: "Customer" is not a fideslang data subject: write lowercase words of a-z, 0-9 and _ joined by dots`),
		Entry("a data subject that is a person's name", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).DataSubjects = []string{"Jane Doe"} },
			`spec.processing.purposes[].dataSubjects: "Jane Doe" is not a fideslang data subject`),

		// Transfers.
		Entry("a transfer without a safeguard", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.ThirdCountryTransfers[0].Safeguard = ""
		}, "spec.processing.thirdCountryTransfers[0].safeguard: Required value"),
		Entry("a safeguard GDPR Chapter V does not know", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.ThirdCountryTransfers[0].Safeguard = "Contract"
		}, `spec.processing.thirdCountryTransfers[0].safeguard: Unsupported value: "Contract"`),
		Entry("a transfer to an EU country", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.ThirdCountryTransfers[0].Country = "DE"
		}, "spec.processing.thirdCountryTransfers[0].country: Invalid value",
			"spec.processing.thirdCountryTransfers[].country DE is in the EU/EEA, so data moving there is no third-country transfer: list only countries outside AT, BE, BG",
			"and IS, LI, NO (the EEA)"),
		Entry("a transfer to an EEA country outside the EU", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.ThirdCountryTransfers[0].Country = "NO"
		}, "spec.processing.thirdCountryTransfers[].country NO is in the EU/EEA"),
		Entry("a transfer to Greece by the EU's code", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.ThirdCountryTransfers[0].Country = "EL"
		}, "spec.processing.thirdCountryTransfers[].country EL is in the EU/EEA"),
		Entry("the United Kingdom as UK", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.ThirdCountryTransfers[0].Country = "UK"
		}, "spec.processing.thirdCountryTransfers[0].country: Invalid value",
			"spec.processing.thirdCountryTransfers[].country UK is not an ISO 3166-1 alpha-2 code: write GB for the United Kingdom"),
		Entry("a country that is no alpha-2 code", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.ThirdCountryTransfers[0].Country = "USA"
		}, `spec.processing.thirdCountryTransfers[0].country: Invalid value: "USA"`),
		Entry("a country in lowercase", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.ThirdCountryTransfers[0].Country = "us"
		}, `spec.processing.thirdCountryTransfers[0].country: Invalid value: "us"`),

		// Parties, role and review.
		Entry("a role Art. 30 does not know", func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Processing.Role = "Owner" },
			`spec.processing.role: Unsupported value: "Owner"`),
		Entry("a controller without a name", func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Processing.Controller.Name = "" },
			"spec.processing.controller.name"),
		Entry("a data protection officer without a contact", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.DataProtectionOfficer = &gdprv1alpha1.Party{Name: "Data Protection Office"}
		}, "spec.processing.dataProtectionOfficer.contact"),
		Entry("a review on a day that does not exist", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.LastReviewed.Date = "2026-02-30"
		}, `spec.processing.lastReviewed.date: Invalid value: "2026-02-30": spec.processing.lastReviewed.date in body must be of type date`),
		Entry("a review date written the European way", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.LastReviewed.Date = "31/03/2026"
		}, `spec.processing.lastReviewed.date: Invalid value: "31/03/2026"`),
		Entry("a review by nobody", func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Processing.LastReviewed.By = "" },
			"spec.processing.lastReviewed.by"),
	)

	DescribeTable("the API server accepts a good record",
		func(ctx SpecContext, mutate func(*gdprv1alpha1.GDPRWorkload)) {
			w := recorded(ns, "good")
			mutate(w)
			Expect(k8sClient.Create(ctx, w, client.DryRunAll)).To(Succeed())
		},
		Entry("a retention in years", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "P7Y" }),
		Entry("a retention in months", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "P6M" }),
		Entry("a retention in days", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "P90D" }),
		Entry("a retention in weeks", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "P2W" }),
		Entry("a retention in years and months", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "P1Y6M" }),
		Entry("a retention in hours, ISO 8601", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "PT12H" }),
		Entry("a retention of nothing kept", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "P0D" }),
		Entry("a retention in hours, as Go writes them", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "8760h" }),
		Entry("a retention in days, briefly", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Retention = "90d" }),
		Entry("a retention that names the event ending it", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "Deleted 30 days after the customer closes the account."
		}),
		Entry("a retention sentence that a YAML block leaves a newline after", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "Deleted 30 days after the customer closes the account.\n"
		}),
		Entry("a retention that cites the law requiring it", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "Kept 10 years as required by section 257 of the German Commercial Code."
		}),
		Entry("a retention without end, with its reason", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Retention = "Kept indefinitely for archiving in the public interest (Art. 89)."
		}),
		Entry("a custom purpose under a fideslang data use", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).Name = "essential.service.payment_processing.refunds"
		}),
		Entry("a top-level data use", func(w *gdprv1alpha1.GDPRWorkload) { purpose(w).Name = "train_ai_system" }),
		Entry("custom data categories and subjects", func(w *gdprv1alpha1.GDPRWorkload) {
			purpose(w).DataCategories = []string{"user.financial.credit_card.pan_hash", "system.operations"}
			purpose(w).DataSubjects = []string{"customer.business", "job_applicant"}
		}),
		Entry("special categories in the EU with the profile left to its default", withHealthData),
		Entry("special categories under an explicit Immutable profile", func(w *gdprv1alpha1.GDPRWorkload) {
			withHealthData(w)
			w.Spec.Hardening.Profile = gdprv1alpha1.HardeningImmutable
		}),
		Entry("the Baseline profile without special categories", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Hardening.Profile = gdprv1alpha1.HardeningBaseline
		}),
		Entry("transfers under each safeguard", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.ThirdCountryTransfers = []gdprv1alpha1.ThirdCountryTransfer{
				{Country: "US", Recipient: "Example Support Inc.", Safeguard: gdprv1alpha1.SafeguardStandardContractualClauses},
				{Country: "GB", Recipient: "Example Payments Ltd", Safeguard: gdprv1alpha1.SafeguardAdequacyDecision},
				{Country: "IN", Recipient: "Example Group Services", Safeguard: gdprv1alpha1.SafeguardBindingCorporateRules},
				{Country: "CH", Recipient: "Example Bank AG", Safeguard: gdprv1alpha1.SafeguardDerogation},
			}
		}),
		Entry("a processor with a representative and a data protection officer", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.Role = gdprv1alpha1.RoleProcessor
			w.Spec.Processing.Representative = &gdprv1alpha1.Party{Name: "Example EU Representative SARL", Contact: "eu-rep@example.com"}
			w.Spec.Processing.DataProtectionOfficer = &gdprv1alpha1.Party{Name: "Data Protection Office", Contact: "dpo@example.com"}
		}),
		Entry("no transfers and no review", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Processing.ThirdCountryTransfers = nil
			w.Spec.Processing.LastReviewed = nil
		}),
	)

	It("reads special categories against the profile the API server defaulted, even with no hardening written at all", func(ctx SpecContext) {
		// The object as kubectl would send a manifest without spec.hardening: the typed client
		// always sends hardening: {}. Defaulting runs before validation, so the rule sees
		// profile Immutable; without that the rule would refuse the workload.
		w := recorded(ns, "defaulted")
		withHealthData(w)
		raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(w)
		Expect(err).NotTo(HaveOccurred())
		u := &unstructured.Unstructured{Object: raw}
		u.SetAPIVersion(gdprv1alpha1.GroupVersion.String())
		u.SetKind("GDPRWorkload")
		unstructured.RemoveNestedField(u.Object, "spec", "hardening")
		_, found, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "hardening")
		Expect(found).To(BeFalse())

		Expect(k8sClient.Create(ctx, u, client.DryRunAll)).To(Succeed())
		profile, _, _ := unstructured.NestedString(u.Object, "spec", "hardening", "profile")
		Expect(profile).To(Equal(string(gdprv1alpha1.HardeningImmutable)), "the API server answers with the defaulted workload")

		unstructured.RemoveNestedField(u.Object, "spec", "residency")
		Expect(k8sClient.Create(ctx, u, client.DryRunAll)).To(MatchError(ContainSubstring(
			"requires spec.hardening.profile Immutable and at least one region in spec.residency.allowedRegions")),
			"the same workload without regions is refused: the rule did run")
	})
})

var _ = Describe("config/samples", func() {
	It("holds workloads the API server accepts, with residency, hardening and a record of processing", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		files, err := filepath.Glob(filepath.Join("..", "config", "samples", "*.yaml"))
		Expect(err).NotTo(HaveOccurred())
		workloads := 0
		for _, file := range files {
			if filepath.Base(file) == "kustomization.yaml" {
				continue
			}
			raw, err := os.ReadFile(file)
			Expect(err).NotTo(HaveOccurred())
			documents := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
			for {
				document, err := documents.Read()
				if errors.Is(err, io.EOF) {
					break
				}
				Expect(err).NotTo(HaveOccurred(), file)
				// Strict, as kubectl apply reads it: a key given twice is an error there.
				asJSON, err := sigsyaml.YAMLToJSONStrict(document)
				Expect(err).NotTo(HaveOccurred(), file)
				u := &unstructured.Unstructured{}
				Expect(json.Unmarshal(asJSON, &u.Object)).To(Succeed(), file)
				if len(u.Object) == 0 {
					continue
				}
				u.SetNamespace(ns)
				Expect(k8sClient.Create(ctx, u, client.DryRunAll)).To(Succeed(), file)
				if u.GetKind() != "GDPRWorkload" {
					continue
				}
				workloads++
				w := &gdprv1alpha1.GDPRWorkload{}
				Expect(runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, w)).To(Succeed())
				Expect(w.Spec.Residency.AllowedRegions).NotTo(BeEmpty(), file)
				Expect(w.Spec.Hardening.Profile).To(Equal(gdprv1alpha1.HardeningImmutable), file)
				Expect(w.Spec.Processing).NotTo(BeNil(), file)
			}
		}
		Expect(workloads).To(BeNumerically(">", 0), "config/samples holds no GDPRWorkload")
	})
})
